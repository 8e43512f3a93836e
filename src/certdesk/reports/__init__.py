"""Read-only report queries (certificates, domains/DCV, activity) and their CSV/XLSX exports."""
