"""transforms layer of Dajiandu (see DESIGN.md)."""
