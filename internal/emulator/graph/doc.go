// Package graph is a local emulator of the parts of Microsoft Graph v1.0 and
// the Microsoft identity platform token endpoint that an Entra ID directory
// sync uses. It implements the documented semantics rather than replaying
// canned answers, so a connector tested against it meets the same paging,
// delta and failure behaviour it meets in a real tenant.
//
// What it serves:
//
//   - POST /{tenant}/oauth2/v2.0/token: the client credentials grant with a
//     client secret (form or HTTP Basic) or an RS256 client assertion. It
//     issues opaque access tokens that expire after Options.TokenLifetime and
//     answers bad requests with the OAuth error body (error, error_description,
//     error_codes, timestamp, trace_id, correlation_id).
//   - GET /v1.0/users/delta, /v1.0/groups/delta and /v1.0/contacts/delta
//     (organisational contacts), also spelled delta(), microsoft.graph.delta
//     and microsoft.graph.delta(): full rounds paged
//     with opaque $skiptoken nextLinks and closed by a $deltatoken deltaLink;
//     delta rounds that return every object changed since the token in its
//     latest state, "@removed" annotations (reason "changed" for a soft
//     delete, "deleted" for a permanent one), manager@delta, members@delta
//     split across pages for large groups, occasional replays of an object
//     within a round, $deltatoken=latest, and 410 SyncStateNotFound with a
//     Location header once a token is older than Options.DeltaTokenTTL or
//     has been invalidated.
//   - GET /v1.0/deviceManagement/managedDevices and .../{id} (Intune): a
//     plain list with $top, $select and $skiptoken nextLinks, no delta; see
//     managed_devices.go.
//   - GET /v1.0/users, /v1.0/users/{id|upn}, /v1.0/groups, /v1.0/groups/{id},
//     /v1.0/groups/{id}/members, /v1.0/contacts, /v1.0/contacts/{id} and
//     /v1.0/organization with $top/$skiptoken paging and $select.
//
// Every error uses the Graph error body ({"error":{"code","message",
// "innerError":{"date","request-id","client-request-id"}}}).
//
// The tenant lives in memory in compact records (a slice plus an index map
// per object type) and a change log of sequence numbers, so a tenant of a
// million users pages without materialising its JSON: each page is encoded
// on demand from the position carried in its token. A full round delivers
// the objects present as it walks the directory; the deltaLink that closes
// it covers every change made after the round started, so nothing made
// during a round is lost.
//
// Tests drive it through its mutation methods (AddUser, UpdateUser,
// SoftDeleteUser, AddMember, AddContact, UpdateContact, DeleteContact,
// Churn, ...) and its fault injection (Inject, ExpireDeltaTokens, Empty,
// Options.RateLimit). All methods are safe to call while requests are
// being served.
//
// Not a public API: the emulator exists for this module's tests, benchmarks
// and demo.
package graph
