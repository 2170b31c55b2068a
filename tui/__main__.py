"""`python -m tui` and the `hogtui` console script (`tui.__main__:main`): the command line itself
lives in `tui.cli`."""

from tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
