"""Administration: the sites where residents are helped and the devices (kiosks, tablets) bound to them."""
