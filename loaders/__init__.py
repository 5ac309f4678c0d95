"""Loaders: read upstream layouts and convert them to Hugging Face ``datasets`` configs."""
