// Package google is a local emulator of the parts of the Google Workspace
// Admin SDK Directory API and Google's OAuth 2.0 token endpoint that a
// directory sync uses. It implements the documented semantics rather than
// replaying canned answers, so a connector tested against it meets the same
// paging, delegation and failure behaviour it meets in a real Workspace.
//
// What it serves:
//
//   - POST /token: the JWT-bearer grant of a service account
//     (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer). The RS256
//     assertion is verified against the service account's public key; iss
//     must be the service account's email, aud the token URL, exp at most an
//     hour after iat, every requested scope must be delegated to the
//     service account's client ID (domain-wide delegation), and sub must be
//     a user of the directory. Refusals use Google's OAuth error body:
//     {"error":"invalid_grant","error_description":"..."} (400) or
//     {"error":"unauthorized_client",...} (401).
//   - GET /admin/directory/v1/users (users.list): customer=my_customer (or
//     the customer ID) or domain, maxResults 1-500 (default 100), an opaque
//     pageToken, orderBy email/familyName/givenName with sortOrder,
//     projection basic/full/custom, showDeleted=true (the users deleted in
//     the last 20 days, and only those), and the fields parameter (partial
//     responses).
//   - GET /admin/directory/v1/groups (groups.list): customer or domain, or
//     userKey; maxResults 1-200 (default 200); pageToken; orderBy=email.
//   - GET /admin/directory/v1/groups/{groupKey}/members (members.list):
//     maxResults 1-200 (default 200), pageToken, roles,
//     includeDerivedMembership; members of type USER and GROUP.
//
// Every API error uses Google's JSON error body ({"error":{"code","message",
// "errors":[{"message","domain","reason"}],"status"}}): 401 authError for a
// missing, unknown or expired access token, 403 insufficientPermissions for
// a token without the scope a method needs, 403 forbidden when the
// impersonated user is not an administrator, 403 userRateLimitExceeded over
// Options.QuotaPerMinute, 429 rateLimitExceeded with Retry-After over
// Options.RateLimit, and whatever Inject queues (5xx backendError, 429, 403,
// malformed or cut bodies, an access token expired on the spot).
//
// Tests drive the directory through its mutation methods (AddUser,
// SuspendUser, ArchiveUser, DeleteUser, MoveUser, AddMember, RemoveMember,
// ...) or Generate. Page tokens carry the position in the listing's sort
// order, not an offset, so a listing that runs while the directory changes
// neither repeats nor skips the users that stay. All methods are safe to
// call while requests are being served.
//
// Not a public API: the emulator exists for this module's tests, benchmarks
// and demo.
package google
