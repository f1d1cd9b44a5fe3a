"""Storage: one ClickHouse reader/writer built from settings (chDB embedded or a server URL)."""
