"""The ``mem0-langgraph`` command (main.py), its scripted demo (demo.py) and the offline echo model."""
