"""``scopes.yaml`` (optional, next to ``sources.yaml``): the scopes that get a bundle on every run.

```yaml
scopes:
  - 县管/450321      # one county's 县管 cadres
  - 市管/450300      # every 市管 cadre of the city 4503xx
```
"""

from pathlib import Path

import yaml

from transforms.scope import Scope, ScopeError
from warehouse.sources import ConfigError

SCOPES_FILE = "scopes.yaml"


def scopes_file(sources: str | Path) -> Path:
    return Path(sources).parent / SCOPES_FILE


def load_scopes(path: Path) -> list[Scope]:
    """The scopes a ``scopes.yaml`` names, in its order; none when the file does not exist.

    Raises:
        ConfigError: not YAML, not ``scopes: [...]``, a scope not understood or named twice.
    """
    if not path.is_file():
        return []
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not a readable YAML file: {error}") from error
    entries = loaded.get("scopes") if isinstance(loaded, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected 'scopes:' followed by a list such as - 县管/450321")
    scopes: list[Scope] = []
    for n, entry in enumerate(entries, start=1):
        try:
            scope = Scope.parse(str(entry))
        except ScopeError as error:
            raise ConfigError(f"{path}: entry {n}: {error}") from error
        if scope in scopes:
            raise ConfigError(f"{path}: entry {n}: {scope.label} is named twice")
        scopes.append(scope)
    return scopes
