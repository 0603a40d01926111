# Stand-in for OpenWrt's include/package.mk. Like the real one it expands Build/Prepare,
# Build/Compile and Package/<name>/install inside text that goes through $(eval), so a package
# Makefile's escaping ($$$$ for shell variables) is exercised the same way. Targets:
#   shim-prepare, shim-compile      run Build/Prepare, then Build/Configure and Build/Compile
#   shim-install SHIM_IDIR=DIR      run Package/<name>/install into DIR (emptied first)
#   shim-control SHIM_IDIR=DIR      write DIR/CONTROL/{control,conffiles,postinst,prerm} as
#                                   OpenWrt's package-ipkg.mk would (Installed-Size is left
#                                   for the packer to fill in)
#   shim-var-NAME                   print a variable (e.g. shim-var-PKG_BUILD_DIR)

PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
SHIM_IDIR ?= $(SHIM_WORK)/ipkg-$(PKG_NAME)

# As package.mk's default: PKG_SOURCE from DL_DIR, checked against PKG_HASH (sha256, or skip) as
# OpenWrt's download step does, unpacked into PKG_BUILD_DIR (the tarball's top directory is
# PKG_NAME-PKG_VERSION).
define Build/Prepare
	mkdir -p $(PKG_BUILD_DIR)
	$(if $(PKG_SOURCE),[ "$(PKG_HASH)" = skip ] || echo "$(PKG_HASH)  $(DL_DIR)/$(PKG_SOURCE)" | sha256sum -c --quiet - \
		|| { echo "Hash mismatch for file $(PKG_SOURCE): expected $(PKG_HASH)" >&2; exit 1; }
	tar -xzf $(DL_DIR)/$(PKG_SOURCE) -C $(PKG_BUILD_DIR) --strip-components=1)
endef

define Build/Configure
endef

define Build/Compile
endef

shim-var-%:
	@echo '$($*)'

shim-comma := ,
shim-commas = $(subst $(eval) ,$(shim-comma) ,$(strip $(1)))

define Shim/control
Package: $(1)
Version: $(PKG_VERSION)-$(PKG_RELEASE)$(if $(filter +%,$(DEPENDS)),$(newline)Depends: $(call shim-commas,$(patsubst +%,%,$(filter +%,$(DEPENDS)))))
License: $(PKG_LICENSE)
LicenseFiles: $(PKG_LICENSE_FILES)
Section: $(SECTION)
Maintainer: $(PKG_MAINTAINER)
Architecture: $(ARCH_PACKAGES)
Installed-Size: 0
Description: $(TITLE)
 $(subst $(newline),$(newline) ,$(Package/$(1)/description))
endef

# OpenWrt's default maintainer scripts: /lib/functions.sh's default_postinst and default_prerm
# enable and start, or stop and disable, the package's init scripts.
define Shim/postinst
#!/bin/sh
[ "$${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s "$${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "$${IPKG_INSTROOT}/lib/functions.sh"
default_postinst "$$0" "$$@"
endef

define Shim/prerm
#!/bin/sh
[ -s "$${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "$${IPKG_INSTROOT}/lib/functions.sh"
default_prerm "$$0" "$$@"
endef

define BuildPackage
  $(eval $(Package/$(1)))

  shim-prepare:
	$(Build/Prepare)

  shim-compile: shim-prepare
	$(Build/Configure)
	$(Build/Compile)

  shim-install:
	rm -rf $(SHIM_IDIR)
	mkdir -p $(SHIM_IDIR)
	$(call Package/$(1)/install,$(SHIM_IDIR))

  $(SHIM_IDIR)/CONTROL:
	mkdir -p $$@

  shim-control: | $(SHIM_IDIR)/CONTROL
	$$(file >$(SHIM_IDIR)/CONTROL/control,$$(call Shim/control,$(1)))
	$$(if $$(strip $$(Package/$(1)/conffiles)),$$(file >$(SHIM_IDIR)/CONTROL/conffiles,$$(strip $$(Package/$(1)/conffiles))))
	$$(file >$(SHIM_IDIR)/CONTROL/postinst,$$(Shim/postinst))
	$$(file >$(SHIM_IDIR)/CONTROL/prerm,$$(Shim/prerm))
	chmod 0755 $(SHIM_IDIR)/CONTROL/postinst $(SHIM_IDIR)/CONTROL/prerm
endef
