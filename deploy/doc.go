// Package deploy holds what runs the system outside the one-command stack:
// the files docker-compose.yml (top level) mounts into its containers, and
// the test that the compose file, the Dockerfile and the code agree.
package deploy
