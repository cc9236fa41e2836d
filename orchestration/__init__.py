"""orchestration layer of Dajiandu (see DESIGN.md)."""
