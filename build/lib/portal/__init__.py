"""The equality evidence portal: a static site generator for public sector equality evidence."""
