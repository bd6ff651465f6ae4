# Normalises cereal's target name; included by the build and by the installed package config.
# cereal 1.3.0 exported a plain `cereal` target; 1.3.1 and later export cereal::cereal.
if(NOT TARGET cereal::cereal AND TARGET cereal)
  add_library(cereal::cereal ALIAS cereal)
endif()
