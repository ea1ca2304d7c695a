"""Citizens and businesses (feedback, dossiers, service index)."""
