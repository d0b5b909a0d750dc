"""Training code for the reader model shipped in qa/models/reader/ (not part of the package)."""
