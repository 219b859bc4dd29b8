// Package contracts holds what other tools read of this system: an OpenAPI
// 3.1 document of the three services' HTTP APIs (openapi.yaml), an AsyncAPI
// 3 document of the topics and their events (asyncapi.yaml), and a JSON
// Schema per event type's data (events/). They are generated from the code
// by this package's test, which fails when they drift from it; go test
// ./contracts -update writes them again.
package contracts
