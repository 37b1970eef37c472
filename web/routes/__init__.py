"""The member site's pages, one module per area (like `api/routes`)."""
