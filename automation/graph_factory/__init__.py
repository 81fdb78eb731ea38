"""Definition JSON -> validated graph -> Dagster job."""
