"""Shared fixtures: a real, throw-away PostgreSQL server for the tests marked ``postgres``, and
a local SparkSession for the tests marked ``spark`` (see ``spark_session.py``).

The server binaries come from Debian's ``postgresql`` package (``./dev test`` installs it).
The fixture never skips: without a server binary the postgres tests fail with one clear line.
Headless Chromium for the tests marked ``browser`` is Debian's ``chromium`` (also installed
by ``./dev test``); without it the browser tests skip, except when ``CI`` is set, where they
fail (see ``browser.py``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import browser
import spark_session

# Demo data read by the example cases is generated once per test session, in a throw-away folder.
os.environ["MLROI_DEMO_DIR"] = tempfile.mkdtemp(prefix="mlroi-demo-")

PG_ROOT = Path("/usr/lib/postgresql")
PG_USER = "mlroi"  # database superuser created by initdb
PG_DATABASE = "mlroi_test"
START_TIMEOUT_S = 30.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LIBC = ctypes.CDLL(None, use_errno=True)
NOT_FOUND = (
    "PostgreSQL server not found: install Debian's `postgresql` package (./dev test does this)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the server are marked ``postgres`` even if they forgot to say so."""
    for item in items:
        if {"postgres_url", "postgres_con"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
        if {"chromium", "open_in_chromium"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if {"spark_con", "spark_tables"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.spark)


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    parts = bin_dir.parent.name.split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)


def _find_pg_bin() -> Path | None:
    """The ``bin`` directory of the newest installed PostgreSQL server, if any."""
    bins = [p.parent for p in PG_ROOT.glob("*/bin/initdb") if (p.parent / "postgres").exists()]
    return max(bins, key=_version_key) if bins else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _die_with_parent() -> None:
    """Runs in the child after it switched user: end the server if pytest is killed.

    Nothing may be imported here: the new user may not be able to read this Python.
    """
    with contextlib.suppress(Exception):
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)  # SIGQUIT: immediate shutdown


class _Server:
    """initdb + postgres, run as the ``postgres`` OS user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: drop to the package's system user.
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "running as root but there is no `postgres` OS user to run the server as "
                    "(install Debian's `postgresql` package)",
                    pytrace=False,
                )
            self.run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            # TMPDIR of root may not be reachable by that user; /tmp always is.
            self.base = Path(tempfile.mkdtemp(prefix="mlroi-pg-", dir="/tmp"))
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        else:
            self.base = Path(tempfile.mkdtemp(prefix="mlroi-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        for var in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"):
            self.env.pop(var, None)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.base,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **self.run_as,
        )

    def initdb(self) -> None:
        r = self._run(
            str(self.bin_dir / "initdb"),
            *("-D", str(self.data), "-A", "trust", "-U", PG_USER),
            *("--no-sync", "-E", "UTF8", "--locale=C"),
        )
        if r.returncode != 0:
            pytest.fail(f"initdb failed ({r.returncode}):\n{r.stdout}{r.stderr}", pytrace=False)

    def start(self) -> None:
        # A free port can be taken between probing and binding: try a few.
        for _attempt in range(3):
            self.port = _free_port()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [
                        str(self.bin_dir / "postgres"),
                        *("-D", str(self.data), "-p", str(self.port), "-k", str(self.base)),
                        *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
                        *("-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
                    ],
                    cwd=self.base,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # runs after the switch of user
                    **self.run_as,
                )
            if self._wait_ready():
                return
            if self.proc.poll() is None:
                break  # running but not answering: not a port clash
            if "could not bind" not in _tail(self.log).lower():
                break
        self.stop()
        pytest.fail(
            f"PostgreSQL did not start within {START_TIMEOUT_S:.0f} s; log {self.log}:\n"
            + _tail(self.log),
            pytrace=False,
        )

    def _wait_ready(self) -> bool:
        assert self.proc is not None
        pg_isready = self.bin_dir / "pg_isready"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.05)
                continue
            if not pg_isready.exists():
                return True
            r = subprocess.run(
                [str(pg_isready), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER],
                env=self.env,
                capture_output=True,
                timeout=10,
                check=False,
            )
            if r.returncode == 0:
                return True
            time.sleep(0.05)
        return False

    def create_database(self, name: str) -> None:
        import psycopg

        url = f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as con:
            con.execute(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    *("-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"),
                    timeout=40,
                )
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # Immediate shutdown of the whole process group, then make sure.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGQUIT)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        self.proc = None

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a database on a PostgreSQL server started for this test session."""
    bin_dir = _find_pg_bin()
    if bin_dir is None:
        pytest.fail(NOT_FOUND, pytrace=False)
    server = _Server(bin_dir)
    try:
        server.initdb()
        server.start()
        server.create_database(PG_DATABASE)
        yield f"postgresql://{PG_USER}@127.0.0.1:{server.port}/{PG_DATABASE}"
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def postgres_con(postgres_url: str) -> Iterator[Any]:
    """An ibis connection to :func:`postgres_url` (needs the ``psycopg`` driver)."""
    import ibis

    con = ibis.connect(postgres_url)
    try:
        yield con
    finally:
        con.disconnect()


@pytest.fixture(scope="session")
def spark_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An Ibis PySpark connection to one local SparkSession for the whole test session."""
    import ibis

    session = spark_session.session_or_skip(tmp_path_factory.mktemp("spark"))
    try:
        yield ibis.pyspark.connect(session)
    finally:
        session.stop()


@pytest.fixture(scope="session")
def spark_tables(spark_con: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Puts pyarrow or pandas tables on the SparkSession (``spark_tables.put(name, table)``)."""
    return spark_session.SparkTables(spark_con, tmp_path_factory.mktemp("spark-tables"))


@pytest.fixture
def put_on(request: pytest.FixtureRequest) -> Callable[[str, str, Any], Any]:
    """``put_on(engine, name, frame)``: a pandas or pyarrow table as table ``name`` on
    ``"postgres"`` (dropped after the test) or ``"spark"`` (a view); returns its ``Source``."""
    from mlroi.sources.open import Source

    def put(engine: str, name: str, frame: Any) -> Any:
        if engine == "spark":
            return request.getfixturevalue("spark_tables").put(name, frame)
        con = request.getfixturevalue("postgres_con")
        con.create_table(name, obj=frame, overwrite=True)
        request.addfinalizer(lambda: con.drop_table(name, force=True))
        return Source(url=request.getfixturevalue("postgres_url"), table=name)

    return put


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole test session (a Playwright ``Browser``)."""
    executable = browser.chromium_or_skip()
    browser.clear_artifacts()
    with browser.launch_chromium(executable) as launched:
        yield launched


@pytest.fixture
def open_in_chromium(
    chromium: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[[Path], browser.PageVisit]]:
    """Opens a local HTML file in a new page and returns what the page did (``PageVisit``).

    Pages stay open until the end of the test; their screenshots go to test-artifacts/browser/.
    """
    context = chromium.new_context(viewport=browser.VIEWPORT, device_scale_factor=1)
    visits: list[browser.PageVisit] = []

    def open_page(path: Path) -> browser.PageVisit:
        shot = browser.screenshot_path(request.node.nodeid, len(visits))
        visits.append(browser.visit(context.new_page(), path, shot))
        return visits[-1]

    try:
        yield open_page
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Says where the browser tests' screenshots are."""
    if browser.saved_screenshots:
        folder = browser.saved_screenshots[0].parent
        terminalreporter.write_line(
            f"browser screenshots ({len(browser.saved_screenshots)}): {folder}"
        )
