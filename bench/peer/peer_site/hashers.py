from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2(Argon2PasswordHasher):
    """ibank's parameters (accounts.hashers): m=19 MiB, t=2, p=1."""

    time_cost = 2
    memory_cost = 19456
    parallelism = 1
