"""The widgets and screens of the app, one region of the screen per module."""
