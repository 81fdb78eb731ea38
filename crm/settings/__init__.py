"""Settings split: base (shared), dev (embedded default), test, production."""
