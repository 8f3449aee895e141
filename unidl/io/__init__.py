"""File formats users bring and take away (MXNet ``.params``; Keras files later), plus atomic writes."""
