from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from disbursement.accounts import selectors, services
from disbursement.accounts.roles import Role
from disbursement.catalog.models import Department

router = Router(tags=["accounts"])

CODE_PATTERN = r"^[0-9]{12}$"


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=128)
    name: str = Field("api", max_length=100, description="what the token is for")


class TokenOut(Schema):
    token: str = Field(..., description="shown once; send as 'Authorization: Bearer <token>'")
    prefix: str
    name: str


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    role: Role
    region_code: str | None = Field(None, alias="region_id")
    region_name: str | None = Field(None, alias="region.name")
    department: str
    is_active: bool


class UserIn(Schema):
    username: str = Field(..., min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(..., max_length=128)
    role: Role
    region_code: str = Field(..., pattern=CODE_PATTERN)
    full_name: str = Field("", max_length=60)
    department: Department | None = None
    email: str = Field("", max_length=254)


class UserPatch(Schema):
    is_active: bool


class UserFilter(Schema):
    role: Role | None = None
    region: str | None = Field(None, pattern=CODE_PATTERN, description="only users in this subtree")
    q: str = Field("", max_length=50)


@router.post("/auth/tokens", response={201: TokenOut}, auth=None, summary="Exchange username and password for a token")
def token_create(request, payload: TokenIn):
    token, raw = services.token_issue(username=payload.username, password=payload.password, name=payload.name,
                                      client_ip=request.META.get("REMOTE_ADDR"))
    return Status(201, {"token": raw, "prefix": token.prefix, "name": token.name})


@router.delete("/auth/tokens/current", response={204: None}, summary="Revoke the token used for this request")
def token_delete(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        services.token_revoke(token=token)
    return Status(204, None)


@router.get("/me", response=UserOut, summary="The calling user")
def me(request):
    return request.user


@router.get("/users", response=list[UserOut], summary="Users within your jurisdiction")
@paginate
def user_list(request, filters: Query[UserFilter]):
    return selectors.user_list(actor=request.user, role=filters.role, region=filters.region, query=filters.q)


@router.get("/users/{user_id}", response=UserOut, summary="One user within your jurisdiction")
def user_detail(request, user_id: int):
    return selectors.user_get(actor=request.user, user_id=user_id)


@router.post("/users", response={201: UserOut}, summary="Create a user in your jurisdiction")
def user_create(request, payload: UserIn):
    user = services.user_create(
        actor=request.user,
        username=payload.username,
        password=payload.password,
        role=payload.role,
        region_code=payload.region_code,
        full_name=payload.full_name,
        department=payload.department or "",
        email=payload.email,
    )
    return Status(201, user)


@router.patch("/users/{user_id}", response=UserOut, summary="Activate or deactivate a user")
def user_update(request, user_id: int, payload: UserPatch):
    return services.user_set_active(actor=request.user, user_id=user_id, is_active=payload.is_active)
