#!/bin/sh
# As the official image's docker/start-ui-server.sh (less its dockerize fallback for old templates).
exec ./ui-server --env docker start
