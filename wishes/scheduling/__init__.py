"""The scheduled jobs and their one entry point, `manage.py run_scheduled`."""
