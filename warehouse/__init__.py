"""warehouse layer of Dajiandu (see DESIGN.md)."""
