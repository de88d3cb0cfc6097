# govdata holds no models of its own. This module exists because Django only sends post_migrate
# (which keeps the role groups' permissions in step, see apps.py) to apps with a models module.
