// Package lansweeper is a local emulator of the Lansweeper Data API (the
// cloud GraphQL API) as an asset inventory sync uses it. It parses and
// validates the GraphQL documents it is sent and executes the subset of the
// schema it implements, so a connector tested against it meets the same
// cursor paging, field-path rules, limits and error shapes it meets on the
// real API.
//
// What it serves:
//
//   - POST /api/integrations/graphql (and the older /api/v2/graphql) with
//     {"query", "variables", "operationName"} and a personal access token
//     in "Authorization: Token <pat>".
//   - Query.authorizedSites { sites { id name ... } }: the sites the token
//     may read (Authorize limits them).
//   - Query.site(id: ID!) { id name assetResources(fields: [String!]!,
//     assetPagination: {limit, page, cursor}, filters) { total items
//     pagination { limit current next page } } }. items is an untyped JSON
//     list, each item nested by the requested field paths ("key",
//     "assetBasicInfo.name", "softwares.name", ...), with nulls left out;
//     multi-valued groups (softwares, volumes, processors,
//     assetCustom.fields) are lists of objects. Pages are in key order;
//     page FIRST starts, NEXT with the previous pagination.next continues,
//     and next is null on the last page. At most 30 field paths and a
//     limit of at most 500; total only with page FIRST. A site the token
//     may not read fails with a FORBIDDEN error.
//
// Errors follow GraphQL servers: a document that does not parse or asks
// for an unknown field or argument gets HTTP 400 with
// {"errors":[{"message","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]};
// a field that fails during execution (a bad field path, a bad cursor, a
// forbidden site) gets HTTP 200 with the field null and the error in
// "errors". An unknown, revoked or expired token gets HTTP 400 with the
// code UNAUTHENTICATED (as third-party clients observe for expired
// tokens).
//
// Limits follow Lansweeper's published restrictions: 150 requests a
// rolling minute and 2000 an hour per token; past either the request gets
// 429 with Retry-After, and the client must then stay quiet for a full
// minute: a request during that minute is refused and starts it again.
// The exact throttling status and body are not published; the emulator's
// are assumptions.
//
// Tests drive the account with Generate and the mutation methods (AddSite,
// AddAsset, UpdateAsset, SetSoftware, MoveAsset, RemoveAsset, Authorize)
// and inject faults with Inject. All methods are safe to call while
// requests are being served.
//
// Not a public API: the emulator exists for this module's tests and
// benchmarks.
package lansweeper
