"""Platform operations: the Dagster UI behind the CRM's authentication (/ops/dagster/)."""
