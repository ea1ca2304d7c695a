"""Settings for Thước đo: `base` reads the environment; `dev`, `test`, `production` adjust it."""
