import typer
