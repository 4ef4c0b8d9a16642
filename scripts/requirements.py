"""Print the project's runtime and dev requirements from pyproject.toml, one a line.

The Makefile installs these directly, so no wheel of the project itself is built.
"""

import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
    print(requirement)
