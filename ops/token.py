"""Mint a development bearer token signed with JWT_SECRET.

python -m ops.token --role district_officer --district 11110
python -m ops.token --role agency --org 12
"""

import argparse

from shared.auth import Role, mint_token
from shared.settings import CommonSettings


def main() -> None:
    parser = argparse.ArgumentParser(description="Mint a bearer token for the Seoul governance API.")
    parser.add_argument("--role", choices=[role.value for role in Role], default=Role.city_officer.value)
    parser.add_argument("--district", help="district code (required for district_officer)")
    parser.add_argument("--org", type=int, help="councils organisation id (required for agency)")
    parser.add_argument("--subject", default="dev-user")
    parser.add_argument("--name", default=None)
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    args = parser.parse_args()
    if args.role == Role.district_officer and not args.district:
        parser.error("--district is required for district_officer")
    if args.role == Role.agency and not args.org:
        parser.error("--org is required for agency")
    settings = CommonSettings()
    if settings.app_env == "production":
        parser.error("refusing to mint tokens with APP_ENV=production")
    token = mint_token(
        settings,
        subject=args.subject,
        role=args.role,
        district_code=args.district,
        name=args.name,
        organization_id=args.org,
        ttl_seconds=args.ttl,
    )
    print(token)


if __name__ == "__main__":
    main()
