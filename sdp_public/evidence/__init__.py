"""Evidence files: upload, sealed storage, scanning, cleaning, previews."""
