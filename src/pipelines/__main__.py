"""``python -m pipelines`` runs the Kedro project."""

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main() -> None:
    configure_project("pipelines")
    find_run_command("pipelines")()


if __name__ == "__main__":
    main()
