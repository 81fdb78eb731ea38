"""Node types: one declaration each (see base.NodeType); the registry lists them all."""
