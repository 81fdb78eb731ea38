"""The workflow builder: the React Flow app (frontend/) served under the CRM's login."""
