"""The portal's web layer: parse the request, check role and city, call one portal function, render a page."""
