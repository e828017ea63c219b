from django.contrib.auth.hashers import Argon2PasswordHasher


class IbankArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum parameters: m=19 MiB, t=2, p=1.

    Django's default (m=100 MiB, t=2, p=8) costs ~145 ms a check on our
    2-core machines, which caps logins at ~9/s; these parameters cost ~24 ms.
    Hashes made with other parameters are upgraded at the next login.
    """

    algorithm = "argon2"  # Django's encoding (argon2$argon2id$v=19$m=…), so hashes stay portable
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
