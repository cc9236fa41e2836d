"""quality layer of Dajiandu (see DESIGN.md)."""
