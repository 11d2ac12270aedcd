"""The user's own files (latents, labels, posterior spreads): the readers shared by every experiment
that reads them. An experiment's own data set lives in its folder."""
