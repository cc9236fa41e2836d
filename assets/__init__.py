"""assets layer of Dajiandu (see DESIGN.md)."""
