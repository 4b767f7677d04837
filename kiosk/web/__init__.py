"""What every page shares: security headers, error pages, htmx rendering, URLs and template helpers."""
