"""The Spark tests skip with the reason when PySpark or Java is missing, and fail under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

import spark_session


def test_without_pyspark_the_spark_tests_skip_and_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(spark_session.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match=r"uv sync --extra spark"):
        spark_session.session_or_skip(tmp_path)


def test_without_java_under_ci_the_spark_tests_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_session.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(spark_session.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"default-jre-headless.*CI is set"):
        spark_session.session_or_skip(tmp_path)
