# Install 手続きサポート kiosk from this folder with no network (Windows Server / Windows 10+):
# a virtualenv in $Target with every wheel from wheels\ (pip --no-index), then `kiosk init`.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Target C:\tetsuzuki-kiosk] [-Instance C:\tetsuzuki-kiosk\instance]
#
# Needs the Python the bundle was made for (see README.txt), e.g. `py -3.12`, and GTK's Pango for
# WeasyPrint (docs/deploying.md: "Windows").
param(
    [string]$Target = "C:\tetsuzuki-kiosk",
    [string]$Instance = "C:\tetsuzuki-kiosk\instance",
    [string]$Python = "py"
)
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
& $Python -m venv "$Target\venv"
if ($LASTEXITCODE -ne 0) { throw "cannot make a virtualenv with $Python" }
& "$Target\venv\Scripts\python.exe" -m pip install --no-index --find-links "$Here\wheels" --disable-pip-version-check --quiet --upgrade tetsuzuki-kiosk
if ($LASTEXITCODE -ne 0) { throw "pip could not install from $Here\wheels" }
if (Test-Path "$Instance\content") {
    Write-Output "Kept $Instance (its content and database)."
} else {
    & "$Target\venv\Scripts\kiosk.exe" init "$Instance"
    if ($LASTEXITCODE -ne 0) { throw "kiosk init failed" }
}
Write-Output "Serve: set KIOSK_INSTANCE_PATH=$Instance, then $Target\venv\Scripts\kiosk.exe serve (as a service: docs/deploying.md)"
