"""policy-site: bilingual (Bokmål/Nynorsk) policy guidelines and forms from YAML.

Public API:

- :func:`load_project` reads and validates content into a :class:`Project`.
- :func:`check` validates and returns the list of problems (empty when clean).
- :func:`build` runs the whole pipeline and replaces the site folder atomically.
- :class:`ContentError`, :class:`BuildError` (both :class:`PolicySiteError`).
"""

from generator.errors import BuildError, ContentError, PolicySiteError, Problem
from generator.pipeline import Paths, build, check
from generator.validate import Project, load_project

__all__ = [
    "BuildError",
    "ContentError",
    "Paths",
    "PolicySiteError",
    "Problem",
    "Project",
    "build",
    "check",
    "load_project",
]
