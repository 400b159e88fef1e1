"""Plain HTTP routes for files: signed downloads and the public application template."""
