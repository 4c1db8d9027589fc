import click


@click.group()
def cli() -> None:
    """kankei: track the MIC 関係人口 model-project page."""
