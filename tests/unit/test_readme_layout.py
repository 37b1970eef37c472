"""The README's "Where things live" names every top-level folder and every room.

The tree changes (rooms were added after the table was first written); a newcomer who
looks for a room the table does not name looks in the wrong place.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Folders runs leave behind (git-ignored): not part of the layout.
RUN_OUTPUT = {"data", "chaos"}


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_every_top_level_folder_is_in_the_table() -> None:
    table = _section("Where things live")
    folders = [
        p.name for p in ROOT.iterdir()
        if p.is_dir() and (not p.name.startswith(".") or p.name == ".ci")
        and p.name not in RUN_OUTPUT and not p.name.endswith(".egg-info")
    ]
    assert folders, "no folders found: the test reads the wrong root"
    missing = [name for name in folders if f"`{name}/" not in table]
    assert not missing, f"the README's layout table does not name {missing}"


def test_every_room_and_core_package_is_in_the_table() -> None:
    table = _section("Where things live")
    rooms = [p.name for p in (ROOT / "shunfuri" / "services").iterdir()
             if (p / "__init__.py").is_file()]
    assert "transfers" in rooms
    missing = [name for name in rooms if f"`{name}/`" not in table]
    assert not missing, f"the README's rooms table does not name {missing}"
    packages = [p.name for p in (ROOT / "shunfuri").iterdir()
                if p.is_dir() and p.name != "__pycache__"]
    missing = [name for name in packages if f"`shunfuri/{name}/`" not in table]
    assert not missing, f"the README's layout table does not name shunfuri/{missing}"


def test_the_readme_stays_a_front_door() -> None:
    """Under 200 lines: the detail lives in docs/, which the README links."""
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) < 200, f"README.md has {len(lines)} lines"
