"""One process's load runner: drivers for the closed and open models, snapshot cutting, graceful stop."""
