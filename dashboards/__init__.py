"""Draw stage: HTML pages and plotly dashboards served on the api port."""
