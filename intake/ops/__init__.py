"""Running the service: backups and their restore (`intake backup ...`)."""
